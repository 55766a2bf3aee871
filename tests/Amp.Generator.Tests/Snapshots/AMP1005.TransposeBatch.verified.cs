// AMP1005 (Error) at Model0.cs(4,106): Transpose: expected two different dimensions of [Batch, 3, 4] other than Batch (Batch cannot move), got dims 0 and 2
// at: Transpose(x, 0, 2)
