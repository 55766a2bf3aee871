// AMP1005 (Error) at Model0.cs(4,136): Attention: expected a key-padding mask of q's shape without its last dimension, [Batch, 6], got [Batch, 8]
// at: Attention(x, x, x, heads: 2, keyPaddingMask: pad)
