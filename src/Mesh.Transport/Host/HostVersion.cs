using System.Reflection;

namespace Mesh.Transport.Host;

internal static class HostVersion
{
    /// <summary><c>meshcore/0.1.0</c>: the informational version without the source-revision suffix.</summary>
    public static readonly string AgentVersion = "meshcore/" + GetVersion();

    private static string GetVersion()
    {
        string? v = typeof(HostVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(v))
        {
            return typeof(HostVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }
        int plus = v.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? v : v[..plus];
    }
}
