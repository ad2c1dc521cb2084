import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AppConfigService } from '@mft/config';
import { NotFoundError } from '@mft/core';
import { readHostKeys } from '@mft/sftp';
import { Public } from '@mft/web';

class HostKeyDto {
  @ApiProperty({ example: 'ssh-ed25519' }) type!: string;
  @ApiProperty({ example: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8' }) fingerprint!: string;
  @ApiProperty({ description: 'The public key line, for a known_hosts file' }) publicKey!: string;
}

class HostKeysDto {
  @ApiProperty({ type: [HostKeyDto] }) keys!: HostKeyDto[];
}

/** What SFTP clients need to know before they connect. */
@ApiTags('sftp')
@Controller('api/v1/sftp')
export class SftpController {
  constructor(private readonly config: AppConfigService) {}

  @Get('host-key')
  @Public()
  @ApiOperation({
    summary: "The SFTP ingress's host keys",
    description: 'Their fingerprints (SHA256:…, as ssh-keygen -l prints them) and public keys, to check or pin before the first connection. Public: clients compare them before they sign in.',
  })
  @ApiOkResponse({ type: HostKeysDto })
  hostKeys(): HostKeysDto {
    const keys = readHostKeys(this.config.dataDir);
    if (!keys) {
      throw new NotFoundError('sftp_not_started', 'The SFTP ingress has not started on this gateway yet (it makes its host keys at first start; SFTP_PORT=off turns it off).');
    }
    return { keys: keys.map((k) => ({ type: k.type, fingerprint: k.fingerprint, publicKey: k.publicKey })) };
  }
}
