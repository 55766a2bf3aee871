// AMP1001 (Error) at Model0.cs(4,1): 'M' must be declared partial so that Amp can add its plan and compiled code
// at: [Autocast(Precision.Bf16)] public class M { readonly Linear fc = new(4, 4); [Forward] Tensor F([Shape(Batch, 4)] Tensor x) => fc.Apply(x); }
