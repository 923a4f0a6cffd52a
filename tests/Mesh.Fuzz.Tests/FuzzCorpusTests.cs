using Mesh.Fuzz;
using Mesh.TestKit;

namespace Mesh.Fuzz.Tests;

public sealed class FuzzCorpusTests
{
    private static string CorpusRoot => Path.Combine(SharedData.RepositoryRoot, "fuzz", "corpus");

    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (IFuzzTarget t in FuzzTargets.All)
        {
            data.Add(t.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Every_target_runs_clean_over_its_seed_corpus(string name)
    {
        IFuzzTarget target = FuzzTargets.Find(name)!;
        string dir = Path.Combine(CorpusRoot, name);
        Assert.True(Directory.Exists(dir), $"fuzz target '{name}' has no seed corpus folder {dir}");
        string[] files = Directory.GetFiles(dir);
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            target.Run(input);
            // Every truncation of a seed must also be handled (typed error or success, never a crash). Large seeds
            // (a real 180 KB runtime metadata blob) get every truncation of their first 4 KiB and ~1000 evenly spaced
            // ones after that, so one seed cannot take minutes.
            int stride = Math.Max(1, (input.Length - 4096) / 1024);
            for (int len = 0; len < input.Length; len += len < 4096 ? 1 : stride)
            {
                target.Run(input.AsSpan(0, len));
            }
        }
    }

    [Fact]
    public void Every_corpus_folder_belongs_to_a_target()
    {
        if (!Directory.Exists(CorpusRoot))
        {
            return;
        }
        foreach (string dir in Directory.GetDirectories(CorpusRoot))
        {
            string name = Path.GetFileName(dir);
            Assert.True(FuzzTargets.Find(name) is not null, $"corpus folder '{name}' has no registered fuzz target");
        }
    }
}
