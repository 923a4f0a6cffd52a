using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Node.Metrics;

namespace Mesh.Node.Tests.Metrics;

/// <summary>The Prometheus text endpoint on 127.0.0.1: series, labels, gauges, and its answers to bad requests.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Get_metrics_returns_counters_with_labels_and_observed_gauges()
    {
        // A meter of this test's own name, so parallel tests' instruments never mix in.
        string meterName = "Mesh.Node.Tests." + Guid.NewGuid().ToString("N");
        using var meter = new System.Diagnostics.Metrics.Meter(meterName);
        using var exporter = new PrometheusExporter(meterName);
        var calls = meter.CreateCounter<long>("mesh.rpc.calls", "{call}", "RPC streams");
        long connections = 7;
        meter.CreateObservableGauge("mesh.connections", () => connections, "{connection}", "Open connections");
        calls.Add(2, new KeyValuePair<string, object?>("direction", "inbound"), new KeyValuePair<string, object?>("protocol", "DHTProtocol.rpc_find"));
        calls.Add(1, new KeyValuePair<string, object?>("protocol", "DHTProtocol.rpc_find"), new KeyValuePair<string, object?>("direction", "inbound"));
        calls.Add(5, new KeyValuePair<string, object?>("direction", "outbound"), new KeyValuePair<string, object?>("protocol", "x\"y"));
        await using MetricsEndpoint endpoint = MetricsEndpoint.Start(0, exporter);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage response = await http.GetAsync(endpoint.Url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("# TYPE mesh_rpc_calls_total counter\n", text);
        Assert.Contains("mesh_rpc_calls_total{direction=\"inbound\",protocol=\"DHTProtocol.rpc_find\"} 3\n", text);
        Assert.Contains("mesh_rpc_calls_total{direction=\"outbound\",protocol=\"x\\\"y\"} 5\n", text);
        Assert.Contains("# TYPE mesh_connections gauge\nmesh_connections 7\n", text);
        connections = 9;
        Assert.Contains("mesh_connections 9\n", await http.GetStringAsync(endpoint.Url, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Other_paths_methods_and_garbage_get_4xx_and_the_endpoint_keeps_serving()
    {
        using var exporter = new PrometheusExporter("Mesh.Node.Tests.none." + Guid.NewGuid().ToString("N"));
        await using MetricsEndpoint endpoint = MetricsEndpoint.Start(0, exporter);
        Assert.StartsWith("HTTP/1.1 404", await RawAsync(endpoint.Port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 405", await RawAsync(endpoint.Port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", await RawAsync(endpoint.Port, "garbage\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", await RawAsync(endpoint.Port, new string('A', 9000))); // head over 8 KiB
        Assert.StartsWith("HTTP/1.1 200", await RawAsync(endpoint.Port, "GET /metrics HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task A_taken_port_is_a_socket_error_naming_it()
    {
        using var exporter = new PrometheusExporter("Mesh.Node.Tests.port");
        await using MetricsEndpoint first = MetricsEndpoint.Start(0, exporter);
        SocketException ex = Assert.Throws<SocketException>(() => MetricsEndpoint.Start(first.Port, exporter));
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    private static async Task<string> RawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }
}
