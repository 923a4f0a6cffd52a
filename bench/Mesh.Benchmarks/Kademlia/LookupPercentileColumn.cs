using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// The p-th percentile of the measured operation time (BenchmarkDotNet has P50/P95 columns but no P99). With one
/// lookup per operation, this is the per-lookup latency distribution over the iterations.
/// </summary>
internal sealed class LookupPercentileColumn(int percentile) : IColumn
{
    public string Id => $"{nameof(LookupPercentileColumn)}.P{percentile}";

    public string ColumnName => $"P{percentile}";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => 10 + percentile;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => $"{percentile}th percentile of the time per lookup";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkDotNet.Mathematics.Statistics? statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
        {
            return "NA";
        }
        double nanoseconds = statistics.Percentiles.Percentile(percentile);
        return $"{nanoseconds / 1e6:0.###} ms";
    }
}

/// <summary>Adds P50, P95 and P99 to a lookup benchmark's summary.</summary>
internal sealed class LookupLatencyConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public LookupLatencyConfig()
    {
        AddColumn(StatisticColumn.P50, StatisticColumn.P95, new LookupPercentileColumn(99));
    }
}
