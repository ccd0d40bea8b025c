// Package synctestdump holds a test that captures a goroutine dump from
// inside a testing/synctest bubble (Go 1.25+). The test is skipped unless
// DUMPGEN_SYNCTEST_OUT names the output file; DUMPGEN_SYNCTEST_EXPECT may
// name the JSON expectation file.
package synctestdump
