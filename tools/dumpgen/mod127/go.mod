module example.com/dumpgen/mod127

go 1.27

require example.com/dumpgen v0.0.0

replace example.com/dumpgen => ../
