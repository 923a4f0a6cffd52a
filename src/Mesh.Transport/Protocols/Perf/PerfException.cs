using Mesh.Multistream;

namespace Mesh.Transport.Protocols.Perf;

/// <summary>The perf peer broke the protocol (short header, wrong byte count).</summary>
public sealed class PerfException(string message) : MeshProtocolException(message);
