using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.UnitTests.Api.Access;

public class MetricsAccessTests
{
    private sealed class FixedOperatorCheck(bool isOperator) : IOperatorCheck
    {
        public OperatorVerdict Check(HttpContext context) => new(isOperator ? OperatorStatus.Operator : OperatorStatus.NotOperator);
    }

    [Theory]
    [InlineData("127.0.0.1", false, StatusCodes.Status401Unauthorized)]
    [InlineData("::1", false, StatusCodes.Status401Unauthorized)]
    [InlineData("10.1.2.3", false, StatusCodes.Status401Unauthorized)]
    [InlineData("10.1.2.3", true, StatusCodes.Status200OK)]
    [InlineData("127.0.0.1", true, StatusCodes.Status200OK)]
    [InlineData("10.0.5.7", false, StatusCodes.Status200OK)]
    [InlineData("::ffff:10.0.5.7", false, StatusCodes.Status200OK)]
    [InlineData("10.0.6.7", false, StatusCodes.Status401Unauthorized)]
    public async Task Metrics_answer_the_operator_and_the_configured_networks_only(string remote, bool isOperator, int expected)
    {
        var access = new MetricsAccess(Options.Create(new MetricsAccessOptions { MetricsNetworks = ["10.0.5.0/24"] }));
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        };
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Response.Body = new MemoryStream();

        await ObservabilityEndpoints.ExportMetricsAsync(context, new FixedOperatorCheck(isOperator), access);

        Assert.Equal(expected, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        if (expected == StatusCodes.Status200OK)
        {
            Assert.Contains("process_cpu_seconds_total", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("process_cpu_seconds_total", body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("10.0.5.0/24", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("10.0.5.7", false)]
    [InlineData("localhost", false)]
    public void Metrics_networks_must_be_cidr(string network, bool valid) =>
        Assert.Equal(valid, new MetricsAccessOptionsValidator().Validate(null, new MetricsAccessOptions { MetricsNetworks = [network] }).Succeeded);
}
