namespace Mesh.Transport;

/// <summary>A listen address could not be bound because another socket holds it.</summary>
public sealed class AddressInUseException : IOException
{
    public AddressInUseException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
