using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Hosting;

/// <summary>How log lines are written.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line, the Python mesh's layout: <c>Nov 25 20:15:01.123 [INFO] [Consensus] message</c>.</summary>
    Text,

    /// <summary>One JSON object per line with the message template's named values as fields (for log shippers).</summary>
    Json,
}

/// <summary>Logging settings shared by every verb.</summary>
public sealed record LoggingSettings(LogLevel MinimumLevel = LogLevel.Information, LogFormat Format = LogFormat.Text);

/// <summary>
/// Creates the logger factory of a <c>mesh</c> process: structured logs to stderr (stdout stays for a verb's
/// machine-readable output), in text or JSON, filtered by level. The writer is a small provider of our own rather
/// than Microsoft.Extensions.Logging.Console: its formatter registration binds options through reflection, which
/// native AOT cannot keep, and a node's log volume (no per-frame logging above Debug) needs no background queue.
/// </summary>
public static class NodeLogging
{
    public static ILoggerFactory CreateFactory(LoggingSettings settings, TextWriter? writer = null, TimeProvider? time = null) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(settings.MinimumLevel);
            builder.AddProvider(new MeshConsoleLoggerProvider(settings.Format, writer ?? Console.Error, time ?? TimeProvider.System));
        });
}

/// <summary>The stderr logger behind <see cref="NodeLogging"/>. Lines are written whole under a lock.</summary>
public sealed class MeshConsoleLoggerProvider(LogFormat format, TextWriter writer, TimeProvider time) : ILoggerProvider
{
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new MeshConsoleLogger(this, categoryName, ShortName(categoryName));

    public void Dispose()
    {
        lock (_gate)
        {
            writer.Flush();
        }
    }

    private static string ShortName(string category)
    {
        int dot = category.LastIndexOf('.');
        return dot >= 0 && dot < category.Length - 1 ? category[(dot + 1)..] : category;
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string LevelText(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRITICAL",
        _ => "NONE",
    };

    private sealed class MeshConsoleLogger(MeshConsoleLoggerProvider provider, string category, string shortName) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            string message = formatter(state, exception);
            DateTimeOffset now = provider._time.GetLocalNow();
            provider.Write(provider._format == LogFormat.Json
                ? FormatJson(now, logLevel, eventId, state, message, exception)
                : FormatText(now, logLevel, message, exception));
        }

        private string FormatText(DateTimeOffset now, LogLevel level, string message, Exception? exception)
        {
            var sb = new StringBuilder(64 + message.Length);
            sb.Append(now.ToString("MMM dd HH:mm:ss.fff", CultureInfo.InvariantCulture))
                .Append(" [").Append(LevelText(level)).Append("] [").Append(shortName).Append("] ").Append(message);
            if (exception is not null)
            {
                sb.Append(Environment.NewLine).Append(exception);
            }
            return sb.ToString();
        }

        private string FormatJson<TState>(DateTimeOffset now, LogLevel level, EventId eventId, TState state, string message, Exception? exception)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("time", now.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                json.WriteString("level", level.ToString());
                json.WriteString("category", category);
                if (eventId.Id != 0 || eventId.Name is not null)
                {
                    json.WriteNumber("eventId", eventId.Id);
                    if (eventId.Name is not null)
                    {
                        json.WriteString("event", eventId.Name);
                    }
                }
                json.WriteString("message", message);
                if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
                {
                    foreach (KeyValuePair<string, object?> field in fields)
                    {
                        if (field.Key == "{OriginalFormat}" || field.Key is "time" or "level" or "category" or "message" or "event" or "eventId")
                        {
                            continue;
                        }
                        WriteField(json, field.Key, field.Value);
                    }
                }
                if (exception is not null)
                {
                    json.WriteString("exception", exception.ToString());
                }
                json.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }

        private static void WriteField(Utf8JsonWriter json, string key, object? value)
        {
            switch (value)
            {
                case null:
                    json.WriteNull(key);
                    break;
                case bool b:
                    json.WriteBoolean(key, b);
                    break;
                case int or long or uint or ulong or short or ushort or byte or sbyte:
                    json.WriteNumber(key, Convert.ToDecimal(value, CultureInfo.InvariantCulture));
                    break;
                case double d when double.IsFinite(d):
                    json.WriteNumber(key, d);
                    break;
                case float f when float.IsFinite(f):
                    json.WriteNumber(key, f);
                    break;
                case decimal m:
                    json.WriteNumber(key, m);
                    break;
                case IFormattable formattable:
                    json.WriteString(key, formattable.ToString(null, CultureInfo.InvariantCulture));
                    break;
                default:
                    json.WriteString(key, value.ToString());
                    break;
            }
        }
    }

    private readonly LogFormat _format = format;
    private readonly TimeProvider _time = time;
}
