using Microsoft.Extensions.Logging;

namespace Datacake.Streams.IntegrationTests.Ingest.Bridge;

/// <summary>Keeps every formatted log line, so that a test can show them on failure and check that no secret is among them.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var line = $"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception)}";
        lock (_gate)
        {
            _lines.Add(line);
        }
    }
}
