// AMP1005 (Error) at Model0.cs(4,169): fc2 (Linear 4 -> 2): expected [.., 4], got [Batch, 8]
// at: fc2.Apply(fc1.Apply(x))
