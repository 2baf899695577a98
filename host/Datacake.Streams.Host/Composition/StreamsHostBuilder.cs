using Datacake.Streams.Hosting;
using Datacake.Streams.Ingest;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Api.InfluxApi;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Observability;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Api.Export;
using Datacake.Streams.Api.DeadLetters;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting.Composition;

public static class StreamsHostBuilder
{
    private static readonly Dictionary<string, string?> s_logLevelDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
    };

    /// <summary>Configuration, options checked at start-up, listeners, logging and the services of the configured roles.</summary>
    public static WebApplicationBuilder AddStreamsHost(this WebApplicationBuilder builder)
    {
        // Short DCS_* variables just before the Section__Key variables, so that those and the command line override
        // them. Found by type: a position counted from the end moved with the command line (with arguments, the
        // aliases landed after the variables and overrode them).
        IList<IConfigurationSource> sources = builder.Configuration.Sources;
        int variables = sources.Count;
        for (int i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                variables = i;
                break;
            }
        }

        sources.Insert(variables, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = EnvironmentAliases.FromEnvironment() });

        // Defaults below every other source (appsettings, environment, command line override them): a served request
        // is one line of ours at most, not ASP.NET Core's three Information lines (request start, endpoint, finish).
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = s_logLevelDefaults });

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });

        builder.Services.AddSingleton<IValidateOptions<StreamsOptions>, StreamsOptionsValidator>();
        builder.Services.AddOptions<StreamsOptions>().BindConfiguration(StreamsOptions.Section).ValidateOnStart();

        builder.Services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) => proxies.Value.Apply(forwarded));

        var streams = builder.Configuration.GetSection(StreamsOptions.Section).Get<StreamsOptions>() ?? new StreamsOptions();
        builder.WebHost.UseKestrel(kestrel => ListenerSetup.Configure(kestrel, streams));

        builder.Services.AddStreamsCore(builder.Configuration, streams);
        builder.Services.AddOperatorCheck(builder.Configuration, streams.FullDataDirectory);
        var roles = streams.ParsedRoles;
        if (roles.HasFlag(NodeRoles.Api))
        {
            builder.Services.AddApiFoundation(builder.Configuration, streams.FullDataDirectory);
        }

        if (roles.HasFlag(NodeRoles.Ingest))
        {
            builder.Services.AddIngest(streams.HttpsUrl is { Length: > 0 } || streams.CertificatePath is { Length: > 0 } ? () => ServerCertificate.Load(streams) : null);
            builder.Services.AddWebhookIngest();
            builder.Services.AddMqttBridges();
        }

        if (roles.HasFlag(NodeRoles.Process))
        {
            Datacake.Streams.Processing.Hosting.ProcessingServices.AddProcessing(builder.Services, streams.FullDataDirectory);
        }

        if ((roles & (NodeRoles.Api | NodeRoles.Process)) != 0)
        {
            builder.Services.AddRetentionTiers();
        }

        if (roles.HasFlag(NodeRoles.Api))
        {
            builder.Services.AddQueryApi();
            builder.Services.AddInfluxApi();
            builder.Services.AddWorkspaceExport();
            builder.Services.AddDeadLetterApi();
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddObservability();
        return builder;
    }
}
