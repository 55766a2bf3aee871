using System.Numerics;

namespace Amp;

// Fill: gradient zeroing and the loss seed.
internal sealed partial class CpuDevice
{
    private protected override void FillCore(DeviceTensor tensor, float value)
    {
        var t = (CpuTensor)tensor;
        switch (t.Precision)
        {
            case Precision.Fp32: t.Elements<float>().Fill(value); break;
            case Precision.Bf16: t.Elements<Bf16>().Fill(Bf16.FromFloat(value)); break;
            default: t.Elements<Half>().Fill((Half)value); break;
        }
    }

    private protected override void ArangeCore(DeviceTensor positions)
    {
        Span<float> p = ((CpuTensor)positions).Elements<float>();
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = i;
        }
    }
}
