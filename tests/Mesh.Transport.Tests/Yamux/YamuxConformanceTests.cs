using Mesh.Transport.Muxing;
using Mesh.Transport.Tests.Muxing;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Yamux;

/// <summary>The shared muxer conformance suite, run against yamux with its default options.</summary>
public sealed class YamuxConformanceTests : StreamMuxerConformanceTests
{
    protected override IStreamMuxer CreateMuxer() => new YamuxMuxer();
}
