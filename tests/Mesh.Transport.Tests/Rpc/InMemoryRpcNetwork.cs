using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Muxing;
using Mesh.Transport.Rpc;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Rpc;

/// <summary>
/// RPC endpoints in one process connected by real yamux sessions over in-memory pipes, with every stream negotiated by
/// multistream-select (so an unknown protocol gets a real <c>na</c>). What the host does minus TCP and Noise: enough to
/// test every call shape, cancellation and reset semantics without sockets.
/// </summary>
internal sealed class InMemoryRpcNetwork : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PeerId, Endpoint> _endpoints = new();
    private readonly YamuxOptions _yamux;

    public InMemoryRpcNetwork(YamuxOptions? yamux = null)
    {
        _yamux = yamux ?? new YamuxOptions();
    }

    public Endpoint AddEndpoint(PeerId peer)
    {
        var endpoint = new Endpoint(this, peer);
        if (!_endpoints.TryAdd(peer, endpoint))
        {
            throw new InvalidOperationException($"{peer} is already on the network");
        }
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Endpoint endpoint in _endpoints.Values)
        {
            await endpoint.DisposeAsync();
        }
    }

    internal sealed class Endpoint(InMemoryRpcNetwork network, PeerId localPeer) : IRpcTransport, IAsyncDisposable
    {
        private readonly CancellationTokenSource _stopping = new();
        private readonly ConcurrentDictionary<PeerId, Lazy<YamuxSession>> _outbound = new();
        private readonly ConcurrentBag<YamuxSession> _sessions = [];
        private readonly ConcurrentBag<Task> _tasks = [];
        private ImmutableDictionary<string, RpcStreamHandler> _handlers = ImmutableDictionary<string, RpcStreamHandler>.Empty.WithComparers(StringComparer.Ordinal);

        public PeerId LocalPeer { get; } = localPeer;

        public void SetHandler(string protocol, RpcStreamHandler handler) => ImmutableInterlocked.Update(ref _handlers, h => h.SetItem(protocol, handler));

        public bool RemoveHandler(string protocol)
        {
            bool removed = false;
            ImmutableInterlocked.Update(ref _handlers, h =>
            {
                removed = h.ContainsKey(protocol);
                return h.Remove(protocol);
            });
            return removed;
        }

        public async ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken)
        {
            YamuxSession session = _outbound.GetOrAdd(peer, p => new Lazy<YamuxSession>(() => Connect(p))).Value;
            IMuxedStream stream = await session.OpenStreamAsync(cancellationToken);
            try
            {
                await MultistreamSelect.SelectAsync(stream, protocol, cancellationToken);
            }
            catch (MultistreamException ex) when (ex.Error == MultistreamError.ProtocolNotSupported)
            {
                await stream.DisposeAsync();
                throw new RpcProtocolNotSupportedException(protocol, ex);
            }
            catch
            {
                stream.Reset();
                throw;
            }
            return new Stream(stream, protocol, peer);
        }

        private YamuxSession Connect(PeerId peer)
        {
            if (!network._endpoints.TryGetValue(peer, out Endpoint? remote))
            {
                throw new IOException($"no route to {peer}");
            }
            (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
            var muxer = new YamuxMuxer(network._yamux);
            YamuxSession ours = muxer.CreateSession(left, isInitiator: true);
            YamuxSession theirs = muxer.CreateSession(right, isInitiator: false);
            _sessions.Add(ours);
            remote.Accept(theirs, LocalPeer);
            return ours;
        }

        private void Accept(YamuxSession session, PeerId remotePeer)
        {
            _sessions.Add(session);
            _tasks.Add(Task.Run(async () =>
            {
                while (true)
                {
                    IMuxedStream stream;
                    try
                    {
                        stream = await session.AcceptStreamAsync(_stopping.Token);
                    }
                    catch (Exception)
                    {
                        return;
                    }
                    _tasks.Add(Task.Run(() => ServeAsync(stream, remotePeer)));
                }
            }));
        }

        private async Task ServeAsync(IMuxedStream stream, PeerId remotePeer)
        {
            string protocol;
            try
            {
                protocol = await MultistreamSelect.HandleAsync(stream, p => Volatile.Read(ref _handlers).ContainsKey(p), _stopping.Token);
            }
            catch (Exception)
            {
                stream.Reset();
                return;
            }
            if (!Volatile.Read(ref _handlers).TryGetValue(protocol, out RpcStreamHandler? handler))
            {
                stream.Reset();
                return;
            }
            try
            {
                await handler(new Stream(stream, protocol, remotePeer), _stopping.Token);
            }
            catch (Exception)
            {
                stream.Reset();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stopping.Cancel();
            foreach (YamuxSession session in _sessions)
            {
                await session.DisposeAsync();
            }
            await Task.WhenAll(_tasks);
        }
    }

    /// <summary>A yamux stream as an RPC stream.</summary>
    internal sealed class Stream(IMuxedStream inner, string protocol, PeerId remotePeer) : IRpcStream
    {
        public IMuxedStream Inner { get; } = inner;

        public string Protocol { get; } = protocol;

        public PeerId RemotePeer { get; } = remotePeer;

        public PipeReader Input => Inner.Input;

        public PipeWriter Output => Inner.Output;

        public void Reset() => Inner.Reset();

        public ValueTask DisposeAsync() => Inner.DisposeAsync();
    }
}
