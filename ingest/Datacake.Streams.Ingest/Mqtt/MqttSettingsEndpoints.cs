using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>A listener of the device broker: the address it is bound to (<c>0.0.0.0</c> = every interface) and its port.</summary>
public sealed record MqttListenerResponse(string Address, int Port);

/// <summary>
/// Where devices reach this node's MQTT broker, as it listens (configuration applied: <c>Ingest:Mqtt</c>, the
/// certificate that enables TLS). <c>plain</c> is loopback only; either is null when not listening. No secret.
/// </summary>
public sealed record MqttSettingsResponse(bool Enabled, MqttListenerResponse? Plain, MqttListenerResponse? Tls);

public static class MqttSettingsEndpoints
{
    /// <summary>
    /// Maps <c>GET /ingest/mqtt</c> on <paramref name="v1"/> (the signed-in API group: any caller may read it, it is
    /// the same for everyone) when this node runs the broker; elsewhere nothing, and the route answers 404.
    /// </summary>
    public static IEndpointRouteBuilder MapMqttSettingsApi(this IEndpointRouteBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        if (v1.ServiceProvider.GetService<MqttIngestServer>() is null)
        {
            return v1;
        }

        v1.MapGet("/ingest/mqtt", static Ok<MqttSettingsResponse> (MqttIngestServer server) =>
            TypedResults.Ok(new MqttSettingsResponse(server.PlainEndpoint is not null || server.TlsEndpoint is not null, Of(server.PlainEndpoint), Of(server.TlsEndpoint))))
            .WithSummary("Where devices reach the MQTT broker (bound address and port of the plain loopback and the TLS listener).");
        return v1;
    }

    private static MqttListenerResponse? Of(IPEndPoint? endpoint) => endpoint is null ? null : new MqttListenerResponse(endpoint.Address.ToString(), endpoint.Port);
}
