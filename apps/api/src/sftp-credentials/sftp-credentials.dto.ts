import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SSH_KEY_ALGORITHMS } from '@mft/identity';

export class AddSshKeyDto {
  @ApiPropertyOptional({ maxLength: 100, description: 'A label you recognise ("work laptop"); by default the key\'s comment' }) name?: string;
  @ApiProperty({ description: 'One OpenSSH public key line, the contents of your .pub file: "ssh-ed25519 AAAA… you@laptop"' }) publicKey!: string;
}

export class SshKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SSH_KEY_ALGORITHMS, description: 'The key type' }) algorithm!: string;
  @ApiProperty({ example: 'SHA256:9YVZtTFQ90b3A8EjPQqqN3gpyWeNLX3JVyHLssFNBmM', description: 'As `ssh-keygen -l -f <key>.pub` prints it' }) fingerprint!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last SFTP sign-in with it' }) lastUsedAt!: string | null;
}

export class SshKeyListDto {
  @ApiProperty({ type: [SshKeyDto], description: 'Your live keys, newest first' }) keys!: SshKeyDto[];
}

export class CreateAppPasswordDto {
  @ApiProperty({ maxLength: 100, description: 'What it is for ("lftp on the build server")' }) name!: string;
}

export class AppPasswordDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last SFTP sign-in with it' }) lastUsedAt!: string | null;
}

export class AppPasswordListDto {
  @ApiProperty({ type: [AppPasswordDto], description: 'Your live app passwords, newest first; never the passwords' }) appPasswords!: AppPasswordDto[];
}

export class CreatedAppPasswordDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The password for SFTP sign-in with your user name. Shown only in this answer, never again.' }) password!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
