// The Model module: see README.md, Architecture.
