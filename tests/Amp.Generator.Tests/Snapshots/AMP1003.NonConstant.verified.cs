// AMP1003 (Error) at Model0.cs(4,103): Argument 'outFeatures' of 'Linear fc' must be a compile-time constant
// at: width
