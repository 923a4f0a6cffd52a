using SharpFuzz;

namespace Mesh.Fuzz;

/// <summary>
/// Entry point. <c>Mesh.Fuzz TARGET</c> runs under AFL++ (out of process, as the SharpFuzz recipe wants);
/// <c>Mesh.Fuzz --replay TARGET PATH</c> runs a file or folder through the target and reports the first failure;
/// <c>Mesh.Fuzz --list</c> prints the target names.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--list")
        {
            foreach (IFuzzTarget t in FuzzTargets.All)
            {
                Console.WriteLine(t.Name);
            }
            return 0;
        }
        if (args.Length == 3 && args[0] == "--replay")
        {
            return Replay(Require(args[1]), args[2]);
        }
        if (args.Length == 1)
        {
            IFuzzTarget target = Require(args[0]);
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var ms = new MemoryStream();
                stream.CopyTo(ms);
                target.Run(ms.GetBuffer().AsSpan(0, (int)ms.Length));
            });
            return 0;
        }
        Console.Error.WriteLine("usage: Mesh.Fuzz TARGET | --replay TARGET FILE_OR_DIR | --list");
        return 2;
    }

    private static IFuzzTarget Require(string name) =>
        FuzzTargets.Find(name) ?? throw new ArgumentException($"unknown fuzz target '{name}'; --list shows them");

    private static int Replay(IFuzzTarget target, string path)
    {
        string[] files = Directory.Exists(path) ? Directory.GetFiles(path, "*", SearchOption.AllDirectories) : [path];
        foreach (string file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"{file}: {ex}");
                return 1;
            }
        }
        Console.WriteLine($"{target.Name}: {files.Length} inputs, no findings");
        return 0;
    }
}
