namespace Mesh.Transport.Rpc;

/// <summary>
/// Handler names, which are the literal libp2p protocol ids (mesh <c>ServicerBase._get_handle_name</c>):
/// <c>Class.method</c>, or <c>namespace::Class.method</c> with a namespace. No leading <c>/</c>, no version.
/// </summary>
public static class RpcHandlerName
{
    /// <summary>The separator between a namespace and the handler name.</summary>
    public const string NamespaceSeparator = "::";

    /// <summary><c>Class.method</c> (e.g. <c>DHTProtocol.rpc_find</c>), or <c>namespace::Class.method</c>.</summary>
    public static string Format(string? @namespace, string className, string methodName)
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        return Qualify(@namespace, className + "." + methodName);
    }

    /// <summary>Prefixes <paramref name="handlerName"/> with <c>namespace::</c> when a namespace is given.</summary>
    public static string Qualify(string? @namespace, string handlerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(handlerName);
        return @namespace is null ? handlerName : @namespace + NamespaceSeparator + handlerName;
    }
}
