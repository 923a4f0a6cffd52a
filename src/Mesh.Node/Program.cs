namespace Mesh.Node;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("mesh: no verbs are wired yet");
        return args.Length == 0 ? 0 : 2;
    }
}
