// AMP1005 (Error) at Model0.cs(4,103): Slice: expected a non-empty range inside a dimension of [Batch, 4] other than Batch, got [4:6] of dim -1
// at: Split(x, 2, -1)[2]
