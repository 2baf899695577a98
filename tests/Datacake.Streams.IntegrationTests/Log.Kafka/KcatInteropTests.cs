using System.Diagnostics;
using System.Text;
using Datacake.Streams.Log.Kafka;

namespace Datacake.Streams.IntegrationTests.Log.Kafka;

/// <summary>
/// Records we append are ordinary Kafka records: another Kafka client in another process (Debian's kcat,
/// built on its own librdkafka) reads them with the same keys and values.
/// </summary>
[Collection(KafkaMockCluster.Collection)]
public sealed class KcatInteropTests(KafkaMockCluster cluster)
{
    [Fact]
    public async Task Records_appended_here_are_read_by_kcat_with_their_keys_and_values()
    {
        var kcat = FindKcat();
        var topic = "interop." + Guid.NewGuid().ToString("N")[..12];
        var expected = Enumerable.Range(0, 60).Select(i => (Key: $"dev_{i % 6:D4}", Value: $"reading-{i}")).ToList();

        await using (var log = new KafkaRecordLog(cluster.LogOptions()))
        {
            foreach (var (key, value) in expected)
            {
                await log.AppendAsync(topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
            }
        }

        var lines = await RunAsync(kcat, "-C", "-b", cluster.BootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k %s\n");

        var read = lines.Select(line => line.Split(' ', 2)).Select(parts => (Key: parts[0], Value: parts[1])).ToList();
        Assert.Equal(expected.Order(), read.Order());

        // Per key, kcat sees the append order (one key, one partition).
        foreach (var group in expected.GroupBy(r => r.Key))
        {
            Assert.Equal(group.Select(r => r.Value), read.Where(r => r.Key == group.Key).Select(r => r.Value));
        }
    }

    private static string FindKcat()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, "kcat"))
            .FirstOrDefault(File.Exists);
        Assert.True(path is not null, "kcat is not installed: run `ops/services.sh up` (it installs it) or `apt-get install kcat`.");
        return path;
    }

    private static async Task<List<string>> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish within 60 s: {await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
