module leakcheck.bench/lookcost

go 1.21
