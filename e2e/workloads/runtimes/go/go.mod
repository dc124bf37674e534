module leakguard.io/e2e/runtimes

go 1.22
