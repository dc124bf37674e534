module leakguard.test/faultproxy

go 1.22
