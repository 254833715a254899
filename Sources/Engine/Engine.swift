// The Engine module: see README.md, Architecture.
