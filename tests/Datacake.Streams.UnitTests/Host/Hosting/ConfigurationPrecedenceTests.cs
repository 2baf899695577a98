using Datacake.Streams.Hosting.Composition;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Datacake.Streams.UnitTests.Host.Hosting;

/// <summary>
/// docs/CONFIGURATION.md's order, later sources winning: a <c>DCS_*</c> alias, then its <c>Section__Key</c> variable,
/// then the command line; the same with and without command-line arguments (the host always passes one now).
/// </summary>
public sealed class ConfigurationPrecedenceTests
{
    [Fact]
    public void A_section_variable_overrides_its_DCS_alias_and_the_command_line_overrides_both_with_or_without_arguments()
    {
        Environment.SetEnvironmentVariable("DCS_INFLUX_DATABASE", "from_alias");
        Environment.SetEnvironmentVariable("Influx__Database", "from_variable");
        try
        {
            Assert.Equal("from_variable", Composed([])["Influx:Database"]);
            Assert.Equal("from_variable", Composed(["--hostBuilder:reloadConfigOnChange=false"])["Influx:Database"]);
            Assert.Equal("from_command_line", Composed(["--Influx:Database=from_command_line"])["Influx:Database"]);

            Environment.SetEnvironmentVariable("Influx__Database", null);
            Assert.Equal("from_alias", Composed(["--hostBuilder:reloadConfigOnChange=false"])["Influx:Database"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DCS_INFLUX_DATABASE", null);
            Environment.SetEnvironmentVariable("Influx__Database", null);
        }
    }

    private static ConfigurationManager Composed(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddStreamsHost();
        return builder.Configuration;
    }
}
