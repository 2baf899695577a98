using System.Diagnostics;
using System.Text;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.IntegrationTests.Log.Faster;

/// <summary>
/// Acceptance: a process appending to the FasterLog record log is killed with SIGKILL mid-stream; every record it
/// acknowledged must be in the log afterwards, in order per key. Runs several kill rounds over one directory,
/// so recovery of an already-recovered, killed-again log is covered too.
/// </summary>
public sealed class LogProcessKillTests : IDisposable
{
    private const string Topic = "crash";
    private const int Rounds = 3;
    private const int AcksBeforeKill = 50_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly TempLogDirectory _directory = new();

    [Fact]
    [Trait("Reliability", "log-restart-during-produce")]
    public async Task No_acknowledged_record_is_lost_when_the_appending_process_is_killed()
    {
        var acknowledged = new Dictionary<(int Round, int Writer), int>();
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var (writer, seq) in await RunAndKillAsync(round))
            {
                acknowledged[(round, writer)] = Math.Max(seq, acknowledged.GetValueOrDefault((round, writer), -1));
            }

            await using var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory.Path });
            using var member = log.Subscribe(Topic, $"verify-{round}");
            var stored = new Dictionary<(int Round, int Writer), int>();
            while (member.Consume(TimeSpan.FromSeconds(1)) is { } record)
            {
                var parts = Encoding.UTF8.GetString(record.Value.Span).Split(':');
                var id = (int.Parse(parts[0]), int.Parse(parts[1]));
                var seq = int.Parse(parts[2]);
                var previous = stored.GetValueOrDefault(id, -1);
                Assert.True(seq == previous + 1, $"round {id.Item1} writer {id.Item2}: seq {seq} follows {previous}");
                stored[id] = seq;
            }

            foreach (var (id, lastAcked) in acknowledged)
            {
                var lastStored = stored.GetValueOrDefault(id, -1);
                Assert.True(lastStored >= lastAcked, $"round {id.Round} writer {id.Writer}: acknowledged up to {lastAcked}, stored up to {lastStored}");
            }
        }

        Assert.True(acknowledged.Values.Sum(v => v + 1L) >= Rounds * (long)AcksBeforeKill);
    }

    /// <summary>Starts the appender, reads its acks until enough arrived, kills it, and returns every ack it printed.</summary>
    private async Task<List<(int Writer, int Seq)>> RunAndKillAsync(int round)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CrashTargetPath());
        start.ArgumentList.Add(_directory.Path);
        start.ArgumentList.Add(round.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash target");

        // Plain threads with blocking reads: async reads of a child's pipes park thread-pool threads, and on
        // 2 cores that starved the reads themselves (a few hundred acks in 90 s).
        var acks = new List<(int Writer, int Seq)>();
        using var enough = new ManualResetEventSlim();
        var stderr = new StringBuilder();
        var outReader = StartThread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                // The kill can cut the last line short; a partial line was never a complete ack.
                if (TryParseAck(line, out var ack))
                {
                    lock (acks)
                    {
                        acks.Add(ack);
                        if (acks.Count >= AcksBeforeKill)
                        {
                            enough.Set();
                        }
                    }
                }
            }
        });
        var errReader = StartThread(() => stderr.Append(process.StandardError.ReadToEnd()));

        var arrived = enough.Wait(Deadline) || process.HasExited;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(CancellationToken.None);

        // Acks already in the pipe were printed before the kill: the reader takes them until end of file.
        outReader.Join();
        errReader.Join();
        Assert.True(arrived, $"round {round}: only {acks.Count} of {AcksBeforeKill} acks within {Deadline}; stderr: {stderr}");
        Assert.True(acks.Count >= AcksBeforeKill, $"round {round}: the crash target ended early after {acks.Count} acks: {stderr}");
        return acks;
    }

    private static Thread StartThread(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static bool TryParseAck(string line, out (int Writer, int Seq) ack)
    {
        ack = default;
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0
            || !int.TryParse(line.AsSpan(0, space), out var writer)
            || !int.TryParse(line.AsSpan(space + 1), out var seq))
        {
            return false;
        }

        ack = (writer, seq);
        return true;
    }

    private static string CrashTargetPath()
    {
        // The test assembly runs from tests/Datacake.Streams.IntegrationTests/bin/<Configuration>/<tfm>/;
        // the crash target (a ReferenceOutputAssembly="false" project reference) is built beside it.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datacake.Streams.sln")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, "Datacake.Streams.sln not found above " + AppContext.BaseDirectory);
        var path = Path.Combine(root.FullName, "tools", "Datacake.Streams.LogCrashTarget", "bin", configuration, framework, "Datacake.Streams.LogCrashTarget.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build tests/Datacake.Streams.IntegrationTests (it builds the crash target)");
        return path;
    }

    public void Dispose() => _directory.Dispose();
}
