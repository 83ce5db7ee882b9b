using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Central.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CentralAuditCommitId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "commit_id",
                table: "admin_audit",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_admin_audit_commit_id",
                table: "admin_audit",
                column: "commit_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_admin_audit_commit_id",
                table: "admin_audit");

            migrationBuilder.DropColumn(
                name: "commit_id",
                table: "admin_audit");
        }
    }
}
