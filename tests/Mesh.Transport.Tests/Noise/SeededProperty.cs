using CsCheck;

namespace Mesh.Transport.Tests.Noise;

/// <summary>
/// Runs a CsCheck generator as a fully reproducible property test: every case comes from one PCG stream started at a
/// fixed seed, on the calling thread, in order. (CsCheck's own <c>Sample(seed:)</c> only fixes the first case and runs
/// the rest on several threads from random seeds.) A failure names the case index and its input.
/// </summary>
internal static class SeededProperty
{
    public static void Check<T>(Gen<T> gen, Action<T> property, string seed = "0000noise042", int iterations = 10_000)
    {
        PCG pcg = PCG.Parse(seed);
        for (int i = 0; i < iterations; i++)
        {
            T value = gen.Generate(pcg, null, out _);
            try
            {
                property(value);
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"Property failed at case {i} (seed {seed}): {CsCheck.Check.Print(value)}", ex);
            }
        }
    }
}
