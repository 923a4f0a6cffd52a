using CsCheck;

namespace Mesh.Transport.Tests.Identity;

/// <summary>
/// Reproducible property runs: CsCheck generators driven by one fixed PCG seed on one thread, so a failure names the
/// iteration and the input and reproduces on every machine (CsCheck's own Sample reseeds after its first iteration).
/// </summary>
internal static class Property
{
    public const ulong Seed = 42;

    public static void ForAll<T>(Gen<T> gen, Action<T> assert, int iterations, ulong seed = Seed)
    {
        var pcg = new PCG(1, seed);
        for (int i = 0; i < iterations; i++)
        {
            T value = gen.Generate(pcg, null!, out _);
            try
            {
                assert(value);
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"property failed at iteration {i} (seed {seed}) for input {Check.Print(value)}: {ex.Message}", ex);
            }
        }
    }
}
