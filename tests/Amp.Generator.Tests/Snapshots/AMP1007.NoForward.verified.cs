// AMP1007 (Error) at Model0.cs(4,1): 'M' has no [Forward] method; mark the method that computes the model's output with [Forward]
// at: [Autocast(Precision.Bf16)] public partial class M { readonly Linear fc = new(4, 4); Tensor F(Tensor x) => fc.Apply(x); }
