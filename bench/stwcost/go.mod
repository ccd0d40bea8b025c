module leakcheck.bench/stwcost

go 1.21
