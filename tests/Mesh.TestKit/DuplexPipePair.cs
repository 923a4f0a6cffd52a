using System.IO.Pipelines;

namespace Mesh.TestKit;

/// <summary>
/// Two connected in-memory <see cref="IDuplexPipe"/> ends: what one writes, the other reads. Used for conformance tests
/// of security channels and muxers without sockets.
/// </summary>
public static class DuplexPipePair
{
    public static (IDuplexPipe Left, IDuplexPipe Right) Create(PipeOptions? options = null)
    {
        options ??= new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        return (new Duplex(rightToLeft.Reader, leftToRight.Writer), new Duplex(leftToRight.Reader, rightToLeft.Writer));
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
