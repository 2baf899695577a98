using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Datacake.Streams.Backups;
using Datacake.Streams.Hosting.Composition;
using Datacake.Streams.Hosting;
using Datacake.Streams.Log.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.UnitTests.Host.Hosting;

/// <summary>
/// Keeps docs/CONFIGURATION.md, ops/appsettings.example.jsonc, compose.yaml and the DCS_* aliases true: every key
/// they name is one the host reads, the example binds without an unknown key and holds the real defaults, and every
/// key of every options class is in the example and in the documentation.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    private static string ExamplePath => Path.Combine(RepositoryRoot.Path, "ops", "appsettings.example.jsonc");

    [Fact]
    public void Every_options_class_with_a_section_is_in_the_catalog()
    {
        var assemblies = ConfigurationKeys.Sections.Select(s => s.Options.Assembly).Append(typeof(NodeSecrets).Assembly).Distinct();
        var declared = assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string))
            .Where(t => t != typeof(NodeSecrets))
            .Select(t => t.FullName!)
            .Order()
            .ToList();

        Assert.Equal(ConfigurationKeys.Sections.Select(s => s.Options.FullName!).Distinct().Order().ToList(), declared);
    }

    [Fact]
    public void Example_binds_every_section_without_an_unknown_key_and_holds_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(ExamplePath, optional: false).Build();
        var owned = new Dictionary<OptionsSection, Dictionary<string, string?>>();
        var unknown = new List<string>();
        foreach (var (key, value) in configuration.AsEnumerable().Where(e => e.Value is not null))
        {
            if (ConfigurationKeys.FrameworkSections.Any(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (ConfigurationKeys.Owner(key) is { } owner)
            {
                (owned.TryGetValue(owner, out var keys) ? keys : owned[owner] = [])[key] = value;
            }
            else
            {
                unknown.Add(key);
            }
        }

        Assert.Empty(unknown);
        foreach (var section in ConfigurationKeys.Sections)
        {
            Assert.True(configuration.GetSection(section.Path).Exists(), $"section {section.Path} is missing from the example");

            // Bound alone (keys of classes sharing the section left out), so that the binder's own unknown-key check
            // and its value conversions apply to exactly this class.
            var alone = new ConfigurationBuilder().AddInMemoryCollection(owned.GetValueOrDefault(section, [])).Build();
            var bound = alone.GetSection(section.Path).Get(section.Options, o => o.ErrorOnUnknownConfiguration = true)
                ?? Activator.CreateInstance(section.Options)!;

            Assert.Equal(JsonSerializer.Serialize(Activator.CreateInstance(section.Options), section.Options), JsonSerializer.Serialize(bound, section.Options));
        }
    }

    [Fact]
    public void Every_key_is_in_the_example_and_every_optional_key_of_it_exists()
    {
        var written = ExampleKeys();
        var unknown = written.Where(k => !ConfigurationKeys.Exists(k)).ToList();
        Assert.Empty(unknown);

        var missing = ConfigurationKeys.AllKeys()
            .Where(k => !written.Any(w => w.Equals(k, StringComparison.OrdinalIgnoreCase) || w.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Documentation_names_every_key_each_as_the_host_reads_it_with_its_variables()
    {
        var rows = DocumentedRows();
        Assert.Empty(rows.Where(r => !ConfigurationKeys.Exists(r.Key)).Select(r => r.Key));

        // The variable column: Section__Key always, and an alias only where EnvironmentAliases sets that key.
        foreach (var row in rows)
        {
            Assert.Contains($"`{row.Key.Replace(":", "__", StringComparison.Ordinal)}`", row.Variables, StringComparison.Ordinal);
            foreach (Match alias in AliasPattern().Matches(row.Variables))
            {
                Assert.Contains((alias.Value, row.Key), EnvironmentAliases.Map);
            }
        }

        foreach (var (variable, key) in EnvironmentAliases.Map)
        {
            Assert.True(ConfigurationKeys.Exists(key), $"{variable} sets {key}, which nothing reads");
            Assert.Contains(rows, r => r.Key == key && r.Variables.Contains(variable, StringComparison.Ordinal));
        }

        var documented = rows.Select(r => Normalize(r.Key)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = ConfigurationKeys.AllKeys()
            .Where(k => !documented.Contains(Normalize(k)) && !documented.Any(d => d.StartsWith(Normalize(k) + ":", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Compose_file_sets_only_keys_the_host_reads()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "compose.yaml"));
        var keys = lines.Select(l => ComposeKeyPattern().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(keys);
        var unknown = keys.Where(k => !ConfigurationKeys.Exists(k)).ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public void Keys_read_one_by_one_are_read_under_the_documented_names()
    {
        var adapterKey = RandomNumberGenerator.GetBytes(32);
        var registryKey = RandomNumberGenerator.GetBytes(32);
        var data = Directory.CreateTempSubdirectory("dcs-config-");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Secrets:AdapterKey"] = Convert.ToBase64String(adapterKey),
                ["Secrets:RegistryKey"] = Convert.ToBase64String(registryKey),
                ["Influx:BackupHost"] = "influx.internal:8088",
            }).Build();

            var secrets = NodeSecrets.Load(configuration, new StreamsOptions { DataDirectory = data.FullName });
            Assert.Equal(adapterKey, secrets.Keyring.CurrentKey.ToArray());
            Assert.Equal(registryKey, secrets.RegistryKey);
            Assert.False(Directory.Exists(Path.Combine(data.FullName, "secrets")), "configured keys must not be replaced by generated ones");

            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(configuration);
            services.AddBackups(data.FullName);
            using var provider = services.BuildServiceProvider();
            Assert.Equal("influx.internal:8088", provider.GetRequiredService<IOptions<BackupOptions>>().Value.BackupHost);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public void Kafka_options_bind_from_their_section_with_the_former_section_below_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "old:9092",
            ["Kafka:ClientId"] = "old-client",
            [$"{KafkaRecordLogOptions.Section}:BootstrapServers"] = "new:9092",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddKafkaRecordLogWithLegacySection();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<KafkaRecordLogOptions>>().Value;
        Assert.Equal("new:9092", options.BootstrapServers);
        Assert.Equal("old-client", options.ClientId);
    }

    /// <summary>Keys of the example's JSON, with the lines of optional keys ("// \"Key\": ...") uncommented.</summary>
    private static List<string> ExampleKeys()
    {
        var text = OptionalLinePattern().Replace(File.ReadAllText(ExamplePath), "$1$2");

        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var keys = new List<string>();
        Collect(document.RootElement, "", keys);
        return keys;
    }

    /// <summary>Keys of values, of arrays of values and of empty containers; items of arrays of objects by index.</summary>
    private static void Collect(JsonElement element, string prefix, List<string> keys)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when element.EnumerateObject().Any():
                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}", keys);
                }

                break;
            case JsonValueKind.Array when element.EnumerateArray().Any(i => i.ValueKind is JsonValueKind.Object):
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, $"{prefix}:{index++}", keys);
                }

                break;
            default:
                keys.Add(prefix);
                break;
        }
    }

    private static List<(string Key, string Variables)> DocumentedRows() =>
        File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "docs", "CONFIGURATION.md"))
            .Select(l => DocumentRowPattern().Match(l))
            .Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value))
            .ToList();

    private static string Normalize(string key) => PlaceholderPattern().Replace(key, ":*");

    // "  // \"TlsEndpoint\": ..." and the lines of a commented-out object ("// {", "//   \"Name\": ...", "// },").
    [GeneratedRegex(@"^(\s*)//\s?(\s*[""{}\[\]].*)$", RegexOptions.Multiline)]
    private static partial Regex OptionalLinePattern();

    // "| `Section:Key` | `Section__Key`, `DCS_X` | ..." : the key cell, then the variables cell.
    [GeneratedRegex(@"^\|\s*`([A-Za-z][A-Za-z0-9]*(?::[^`|\s]+)+)`\s*\|([^|]*)\|")]
    private static partial Regex DocumentRowPattern();

    [GeneratedRegex(@"DCS_[A-Z_]+")]
    private static partial Regex AliasPattern();

    // "      Streams__Roles: ingest" in a service's environment.
    [GeneratedRegex(@"^\s+([A-Za-z][A-Za-z0-9]*(?:__[A-Za-z0-9.]+)+):")]
    private static partial Regex ComposeKeyPattern();

    [GeneratedRegex(@":(?:\d+|<[^>]+>)(?=:|$)")]
    private static partial Regex PlaceholderPattern();
}
