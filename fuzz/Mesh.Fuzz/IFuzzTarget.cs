namespace Mesh.Fuzz;

/// <summary>
/// One fuzz target: feeds arbitrary bytes to a decoder. It must swallow only the decoder's typed content errors
/// (<see cref="Mesh.Multistream.MeshProtocolException"/> and its subclasses); any other exception is a finding.
/// Targets should be differential where they can (span path vs multi-segment path, decode → encode → decode) and
/// let the leading input bytes choose segmentation.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>Short name used on the command line and as the corpus folder name (fuzz/corpus/NAME).</summary>
    string Name { get; }

    void Run(ReadOnlySpan<byte> input);
}
