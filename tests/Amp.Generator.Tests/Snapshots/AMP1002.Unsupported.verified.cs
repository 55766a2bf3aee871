// AMP1002 (Error) at Model0.cs(4,134): An if statement is not supported in a model definition
// at: if (x.Length > 0) { return x; }
