using System.Text.Json;

namespace RealTimeDistributor.Hosting;

/// <summary>The JSON shape of everything on the wire and in the databases: camelCase, as MassTransit writes it.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);
}
