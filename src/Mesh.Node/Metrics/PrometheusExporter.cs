using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Mesh.Node.Metrics;

/// <summary>
/// Aggregates the measurements of one meter for the Prometheus text exposition format (version 0.0.4): counters as
/// <c>_total</c> sums, gauges as their last observed value, one series per tag set; names with dots become
/// underscores. A <see cref="MeterListener"/> feeds it; <see cref="Render"/> collects the observable instruments first.
/// Thread-safe.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly Lock _renderGate = new();

    public PrometheusExporter(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((PrometheusExporter)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((PrometheusExporter)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((PrometheusExporter)state!).Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string name = MetricName(instrument);
        string labels = Labels(tags);
        bool isCounter = instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long>;
        Series series = _series.GetOrAdd(name + labels, static (_, arg) => new Series(arg.name, arg.labels, arg.isCounter, arg.description),
            (name, labels, isCounter, description: instrument.Description ?? ""));
        series.Add(value);
    }

    /// <summary>The exposition text of every series seen so far (after collecting the observable instruments).</summary>
    public string Render()
    {
        lock (_renderGate)
        {
            _listener.RecordObservableInstruments();
            var sb = new StringBuilder();
            foreach (IGrouping<string, Series> family in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal).GroupBy(s => s.Name))
            {
                Series first = family.First();
                string name = first.IsCounter ? first.Name + "_total" : first.Name;
                if (first.Description.Length > 0)
                {
                    sb.Append("# HELP ").Append(name).Append(' ').Append(first.Description.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
                }
                sb.Append("# TYPE ").Append(name).Append(' ').Append(first.IsCounter ? "counter" : "gauge").Append('\n');
                foreach (Series s in family.OrderBy(s => s.Labels, StringComparer.Ordinal))
                {
                    sb.Append(name).Append(s.Labels).Append(' ').Append(s.Value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                }
            }
            return sb.ToString();
        }
    }

    private static string MetricName(Instrument instrument)
    {
        var sb = new StringBuilder(instrument.Name.Length);
        foreach (char c in instrument.Name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        return sb.ToString();
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var pairs = new List<(string, string)>(tags.Length);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            pairs.Add((tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        var sb = new StringBuilder("{");
        for (int i = 0; i < pairs.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(pairs[i].Item1).Append("=\"")
                .Append(pairs[i].Item2.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append('"');
        }
        return sb.Append('}').ToString();
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series(string name, string labels, bool isCounter, string description)
    {
        private readonly Lock _gate = new();
        private double _value;

        public string Name { get; } = name;

        public string Labels { get; } = labels;

        public bool IsCounter { get; } = isCounter;

        public string Description { get; } = description;

        public double Value
        {
            get
            {
                lock (_gate)
                {
                    return _value;
                }
            }
        }

        public void Add(double value)
        {
            lock (_gate)
            {
                _value = IsCounter ? _value + value : value;
            }
        }
    }
}
