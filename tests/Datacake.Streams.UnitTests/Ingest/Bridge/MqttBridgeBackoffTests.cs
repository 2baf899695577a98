using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Records;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

/// <summary>
/// The bridge's reconnect loop on a <see cref="FakeTimeProvider"/>: against a loopback port where nothing listens every
/// attempt fails at once, and the next one waits for the fake clock, 1 s, 2 s, 4 s, … up to the cap.
/// </summary>
public sealed class MqttBridgeBackoffTests
{
    private static readonly TimeSpan _deadline = TestDeadline.Wait;

    [Fact]
    public async Task Failed_attempts_wait_a_doubling_delay_on_the_time_provider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var registry = new RegistryView(time);
        var token = AccessToken.New();
        registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "t", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));
        var logger = new LineLogger();
        var definition = new BridgeDefinition
        {
            Name = "backoff",
            Host = "127.0.0.1",
            Port = 1,
            UseTls = false,
            Mapping = new BridgeMapping { Topic = "{deviceId}" },
            Token = token.Secret,
            ReconnectDelay = TimeSpan.FromSeconds(1),
            MaxReconnectDelay = TimeSpan.FromSeconds(4),
        };
        var appender = new RawRecordAppender(new InMemoryRecordLog(1), new AdapterSigner(AdapterKeyring.CreateRandom()));

        await using var bridge = new MqttBridge(definition, appender, registry, time, logger);
        bridge.Start();

        foreach (var expected in new[] { 1, 2, 4, 4 })
        {
            var announced = await logger.NextAsync(line => line.Contains("next attempt in", StringComparison.Ordinal));
            Assert.Contains($"next attempt in {TimeSpan.FromSeconds(expected)}", announced, StringComparison.Ordinal);
            Assert.Equal(BridgeState.Reconnecting, bridge.State);
            time.Advance(TimeSpan.FromSeconds(expected));
        }

        Assert.Equal(0, bridge.Counters.SessionsOpened);
    }

    [Fact]
    public async Task A_bridge_waits_for_its_token_on_the_time_provider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var registry = new RegistryView(time);
        var logger = new LineLogger();
        var definition = new BridgeDefinition
        {
            Name = "no-token",
            Host = "127.0.0.1",
            Port = 1,
            UseTls = false,
            Mapping = new BridgeMapping { Topic = "{deviceId}" },
            Token = AccessToken.New().Secret,
        };
        var appender = new RawRecordAppender(new InMemoryRecordLog(1), new AdapterSigner(AdapterKeyring.CreateRandom()));

        await using var bridge = new MqttBridge(definition, appender, registry, time, logger);
        bridge.Start();

        var refused = await logger.NextAsync(line => line.Contains("not connecting until it is valid", StringComparison.Ordinal));
        Assert.Contains("is Unknown", refused, StringComparison.Ordinal);
        Assert.Equal(BridgeState.WaitingForCredential, bridge.State);

        // Said once, not once per check.
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Single(logger.Lines, line => line.Contains("not connecting", StringComparison.Ordinal));
        Assert.Equal(0, bridge.Counters.SessionsOpened);
    }

    private sealed class LineLogger : ILogger<MqttBridge>
    {
        private readonly List<string> _lines = [];
        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _added = new(0);
        private int _seen;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_gate)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _lines.Add(formatter(state, exception));
            }

            _added.Release();
        }

        /// <summary>The next line after those already returned that matches, waiting for it with a deadline.</summary>
        public async Task<string> NextAsync(Func<string, bool> match)
        {
            var until = DateTime.UtcNow + _deadline;
            while (true)
            {
                var lines = Lines;
                for (; _seen < lines.Count; _seen++)
                {
                    if (match(lines[_seen]))
                    {
                        return lines[_seen++];
                    }
                }

                var left = until - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, "no matching log line; log:\n" + string.Join('\n', lines));
                await _added.WaitAsync(left);
            }
        }
    }
}
