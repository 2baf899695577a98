using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Reads a JSON request body within the size limit, so that a bad body gets a problem response (400 / 413) from
/// the endpoint instead of the framework's empty 400.
/// </summary>
public static class JsonBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.MaxRequestBodyBytes;
        var buffer = new ArrayBufferWriter<byte>(Math.Min(limit, 4096));
        var stream = context.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await stream.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw ApiProblem.TooLarge(limit);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw ApiProblem.Invalid("A JSON body is required.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(buffer.WrittenSpan, JsonSerializerOptions.Web)
                ?? throw ApiProblem.Invalid("A JSON object is required.");
        }
        catch (JsonException e)
        {
            // The reader's message names a position, never a value: safe to return.
            throw ApiProblem.Invalid("The body is not valid JSON of the expected shape: " + e.Message);
        }
    }
}
