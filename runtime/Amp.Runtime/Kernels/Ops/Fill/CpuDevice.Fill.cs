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
            case Precision.Fp32: t.As<float>().AsSpan().Fill(value); break;
            case Precision.Bf16: t.As<Bf16>().AsSpan().Fill(Bf16.FromFloat(value)); break;
            default: t.As<Half>().AsSpan().Fill((Half)value); break;
        }
    }
}
