module leakcheck.bench/bigdump

go 1.21
