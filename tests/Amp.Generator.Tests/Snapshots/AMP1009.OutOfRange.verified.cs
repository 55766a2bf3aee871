// AMP1009 (Error) at Model0.cs(4,81): Argument 'outFeatures' of 'Linear fc' is 0; layer sizes must be positive
// at: 0
