using Xunit;

namespace Mesh.TestKit;

/// <summary>
/// Finds the read-only shared folder (golden vectors, chain spec, references) that sits next to the repository.
/// Tests that need it call <see cref="RequireDirectory"/> and are skipped with a clear message when it is absent;
/// CI always has it.
/// </summary>
public static class SharedData
{
    /// <summary>Environment variable that overrides the location of the shared folder.</summary>
    public const string EnvironmentVariable = "MESH_SHARED_DIR";

    private static readonly Lazy<string?> s_root = new(Locate);

    /// <summary>The shared folder, or null when it cannot be found.</summary>
    public static string? Root => s_root.Value;

    /// <summary>The repository root (the folder holding MeshCore.sln).</summary>
    public static string RepositoryRoot { get; } = LocateRepositoryRoot();

    /// <summary>Returns <c>shared/relative</c>, or skips the calling test when the shared folder or the entry is missing.</summary>
    public static string RequireDirectory(string relative = "")
    {
        string? root = Root;
        if (root is null)
        {
            Assert.Skip($"Shared data folder not found (looked at ../shared next to the repository and ${EnvironmentVariable}); this test needs it.");
            return "";
        }
        string path = Path.GetFullPath(Path.Combine(root, relative));
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            Assert.Skip($"Shared data entry '{relative}' not found under {root}.");
        }
        return path;
    }

    /// <summary>Path of a golden-vector file in <c>shared/vectors</c>; skips the test when it is absent.</summary>
    public static string RequireVector(string fileName) => RequireDirectory(Path.Combine("vectors", fileName));

    private static string? Locate()
    {
        string? fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv))
        {
            return Path.GetFullPath(fromEnv);
        }
        // ../shared next to the repository; from a git worktree elsewhere (e.g. /work/wt/branch) the nearest
        // ancestor that has a shared/ sibling holding DESIGN.md is the same folder.
        string candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));
        if (Directory.Exists(candidate))
        {
            return candidate;
        }
        for (string? dir = Path.GetDirectoryName(RepositoryRoot); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string shared = Path.Combine(dir, "shared");
            if (File.Exists(Path.Combine(shared, "DESIGN.md")))
            {
                return shared;
            }
        }
        return null;
    }

    private static string LocateRepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "MeshCore.sln")))
            {
                return dir;
            }
            dir = Path.GetDirectoryName(dir);
        }
        dir = Directory.GetCurrentDirectory();
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "MeshCore.sln")))
            {
                return dir;
            }
            dir = Path.GetDirectoryName(dir);
        }
        throw new InvalidOperationException("MeshCore.sln not found above " + AppContext.BaseDirectory);
    }
}
