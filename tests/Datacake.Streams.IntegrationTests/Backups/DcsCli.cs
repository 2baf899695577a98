using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// The built <c>dcs</c> CLI (host/Datacake.Streams.Cli, built with the integration tests) and the repository's scripts,
/// run as child processes the way an operator runs them.
/// </summary>
public static class DcsCli
{
    private static readonly Lazy<(string Root, string Dll)> _paths = new(Find);

    public static string RepositoryRoot => _paths.Value.Root;

    public static string Dll => _paths.Value.Dll;

    /// <summary>The host executable next to the tests (what <see cref="Hosting.HostProcess"/> runs).</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "datacake-streams.dll");

    /// <summary>Runs <c>dcs ARGS</c> with the given environment (added to this process's).</summary>
    public static Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        WithEnvironmentAsync(environment, TimeSpan.FromSeconds(120), ["dotnet", Dll, .. arguments]);

    /// <summary>Runs a command through <c>env</c>, so that it gets <paramref name="environment"/> on top of this process's.</summary>
    public static Task<CommandResult> WithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, IEnumerable<string> command) =>
        ExternalCommand.RunAsync("env", deadline, [.. environment.Select(e => $"{e.Key}={e.Value}"), .. command]);

    /// <summary>The <c>key=value</c> lines of an output (the drill's facts); the first value of a key wins.</summary>
    public static IReadOnlyDictionary<string, string> Facts(string output)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line[..equals].Contains(' ', StringComparison.Ordinal))
            {
                facts.TryAdd(line[..equals], line[(equals + 1)..].TrimEnd('\r'));
            }
        }

        return facts;
    }

    private static (string Root, string Dll) Find()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datacake.Streams.sln")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, "Datacake.Streams.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(root.FullName, "host", "Datacake.Streams.Cli", "bin", configuration, framework, "dcs.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Datacake.Streams.IntegrationTests (it builds the CLI)");
        return (root.FullName, dll);
    }
}
