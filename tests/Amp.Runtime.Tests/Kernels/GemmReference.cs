namespace Amp.Tests.Kernels;

/// <summary>
/// FP64 GEMM on the stored (already rounded) operands, with the error bound a correct FP32-accumulating
/// kernel must meet. For c = alpha * sum_k a_ik b_kj + beta * c0 + bias_j computed in FP32 in any order
/// (Higham, Accuracy and Stability, 3.1): |c_hat - c| &lt;= gamma_{K+3} * (|alpha| sum_k |a_ik b_kj| + |beta c0| + |bias_j|),
/// gamma_n = n u / (1 - n u), u = 2^-24; K + 3 covers the K-term sum, alpha, beta and bias.
/// Rounding the result into a low-precision C adds u_out * |c| (u_out = 2^-8 BF16, 2^-11 FP16).
/// </summary>
internal static class GemmReference
{
    public static (double[] Value, double[] Bound) Compute(
        int batch, int m, int n, int k, double[] a, bool ta, bool sharedA, double[] b, bool tb, bool sharedB,
        double[] c0, double[]? bias, float alpha, float beta, Precision output)
    {
        var value = new double[batch * m * n];
        var bound = new double[batch * m * n];
        double u = Math.Pow(2, -24);
        double gamma = (k + 3) * u / (1 - ((k + 3) * u));
        double uOut = output == Precision.Fp32 ? 0 : output.UnitRoundoff();
        for (int q = 0; q < batch; q++)
        {
            int aOff = sharedA ? 0 : q * m * k, bOff = sharedB ? 0 : q * k * n;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = a[aOff + (ta ? (p * m) + i : (i * k) + p)];
                        double bv = b[bOff + (tb ? (j * k) + p : (p * n) + j)];
                        sum += av * bv;
                        abs += Math.Abs(av * bv);
                    }

                    int ci = (q * m * n) + (i * n) + j;
                    double biasJ = bias?[j] ?? 0;
                    double exact = (alpha * sum) + (beta * c0[ci]) + biasJ;
                    value[ci] = exact;
                    bound[ci] = (gamma * ((Math.Abs(alpha) * abs) + Math.Abs(beta * c0[ci]) + Math.Abs(biasJ)) * (1 + uOut))
                        + (uOut * Math.Abs(exact)) + 1e-37;
                }
            }
        }

        return (value, bound);
    }
}
