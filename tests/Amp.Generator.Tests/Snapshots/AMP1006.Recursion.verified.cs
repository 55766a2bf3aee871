// AMP1006 (Error) at Model0.cs(4,159): 'G' calls itself (G -> H -> G); model methods are inlined at compile time and cannot recurse
// at: G(x)
